from devtest import raises
from lumbo_shared import settings


def test_defaults_are_within_their_own_ranges():
    for name, default, low, high, _unit in settings.SETTINGS:
        assert low <= default <= high, name
        assert settings.validate(name, default) == default


def test_out_of_range_value_names_the_allowed_range():
    exc = raises(settings.SettingError, settings.validate, "sit_limit_s", 10)
    assert "300 to 14400" in str(exc), str(exc)


def test_unknown_setting_lists_the_known_ones():
    exc = raises(settings.SettingError, settings.validate, "sit_limit", 1800)
    assert "sit_limit_s" in str(exc)


def test_non_integers_are_rejected():
    raises(settings.SettingError, settings.validate, "sit_limit_s", 1800.0)
    raises(settings.SettingError, settings.validate, "haptic", True)
    raises(settings.SettingError, settings.validate, "reprompt_s", "600")


def test_reprompt_longer_than_limit_is_rejected_as_a_pair():
    raises(settings.SettingError, settings.validate_all, {"sit_limit_s": 600, "reprompt_s": 900})
    merged = settings.validate_all({"sit_limit_s": 900, "reprompt_s": 900})
    assert merged["sit_limit_s"] == 900 and merged["break_min_s"] == 60
