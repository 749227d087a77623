"""Break routines: what each one is, how to do it, how much, and why it helps someone who sits all day.

Every card ends with the same safety note. The nerve routine is offered only to a wearer who has said they
have leg symptoms, and its card carries the warning signs that mean seeing a doctor instead.
"""

from typing import NamedTuple

from lumbo.shared import vocab


class Routine(NamedTuple):
    code: int  # vocab.ROUTINE_*
    title: str
    steps: tuple[str, ...]
    dose: str
    why: str
    at_desk: bool  # can be done beside the desk, standing or on the floor there
    nerve: bool = False  # a nerve routine: only with reported leg symptoms, always with the red flags


SAFETY_NOTE = (
    "Stop if it hurts, or if symptoms spread further down your leg. "
    "This is general guidance, not medical advice."
)

RED_FLAG_NOTE = (
    "Leg pain that starts in the back is common and usually settles; it does not mean something is damaged. "
    "Numbness, tingling or weakness in the leg needs a doctor's or physiotherapist's look. "
    "Trouble controlling your bladder or bowels is an emergency: see a doctor straight away."
)

CATALOGUE: tuple[Routine, ...] = (
    Routine(
        vocab.ROUTINE_EXTENSION,
        "Standing back extension",
        (
            "Stand up, feet hip-width apart.",
            "Put your hands on your hips or the small of your back.",
            "Lean back slowly as far as feels comfortable, pause for a moment, and come back up.",
        ),
        "Slow repetitions, only as far as it stays pain-free. Work up to about 10, with a short hold at the end.",
        "Hours of sitting keep your low back bent forward. Leaning back reverses that: it takes pressure "
        "off the front of the discs and loosens a back that has gone stiff from sitting.",
        at_desk=True,
    ),
    Routine(
        vocab.ROUTINE_PELVIC_TILTS,
        "Pelvic tilts",
        (
            "Stand with your hands on your hips.",
            "Tuck your tailbone under, rocking your pelvis backwards, and hold for a few seconds.",
            "Then tip it forwards and hold again. Keep your legs, upper back and neck still.",
        ),
        "Several slow repetitions, in a couple of sets, within a pain-free range.",
        "It moves the joints of the low back through the range that sitting takes away, and teaches you to "
        "move your pelvis on its own.",
        at_desk=True,
    ),
    Routine(
        vocab.ROUTINE_HIP_FLEXOR_STRETCH,
        "Hip flexor stretch",
        (
            "Kneel on one knee with the other foot flat in front of you (a cushion under the knee helps).",
            "Tip your pelvis a little backwards or forwards until you feel a stretch at the front of the hip "
            "of the kneeling leg.",
            "Hold still, then change sides.",
        ),
        "3 holds of 30 seconds on each side; morning and evening are good times too.",
        "Long sitting shortens the muscles at the front of the hip. When they are tight, your low back ends "
        "up doing most of the bending (three quarters instead of about half).",
        at_desk=True,
    ),
    Routine(
        vocab.ROUTINE_HAMSTRING_STRETCH,
        "Hamstring stretch",
        (
            "Lie on your back and loop a strap, belt or lead around one foot.",
            "Keep that knee straight and raise the leg with the strap until you feel the back of the thigh.",
            "Hold, then change legs. Touching your toes now and then does not do the same job.",
        ),
        "3 holds of 30 seconds on each leg, morning and evening.",
        "The muscles at the back of the thigh tighten with sitting; tight hamstrings with tight hip flexors "
        "are common in people with long-standing low-back pain.",
        at_desk=False,
    ),
    Routine(
        vocab.ROUTINE_CHILDS_POSE,
        "Child's pose or seated forward bend",
        (
            "Kneel and sit back on your heels, then walk your hands forward and rest your chest towards your "
            "thighs; or, seated, let your trunk fold slowly forwards between your knees.",
            "Breathe slowly and let the back round.",
        ),
        "A few slow, pain-free holds.",
        "A gentle bend forwards eases backs that dislike leaning back, and balances the extension work.",
        at_desk=False,
    ),
    Routine(
        vocab.ROUTINE_GLUTE_STRETCH,
        "Glute and piriformis stretch",
        (
            "Sit or lie and cross one ankle over the other knee (a figure four).",
            "Draw the legs gently towards you, or lean forwards if seated, until the buttock stretches.",
            "Hold, then change sides.",
        ),
        "3 holds of 30 seconds a side, morning and evening; a minute or two on a foam roller once a day helps.",
        "A tight piriformis can irritate the sciatic nerve beside it, and sore spots in the small buttock "
        "muscles can send pain into the low back and down the leg.",
        at_desk=True,
    ),
    Routine(
        vocab.ROUTINE_FOAM_ROLL,
        "Foam-roll the back muscles",
        (
            "Lie with a foam roller across your back, a little to one side of the spine and at a slight "
            "angle, so it never presses on the spine itself.",
            "Roll slowly up and down the muscles, then do the other side.",
        ),
        "1 to 2 minutes.",
        "It eases muscles that have held you upright in the chair all day.",
        at_desk=False,
    ),
    Routine(
        vocab.ROUTINE_NERVE_FLOSSING,
        "Nerve flossing",
        (
            "Sit tall on the edge of a chair and let your back round a little.",
            "Straighten one knee while you lift your head; bend the knee again as you lower your head.",
            "Or lie on your back, hold behind one thigh and straighten and bend that knee slowly.",
            "It should feel like a gentle glide, never pain or pins and needles.",
        ),
        "Slowly; build up to 10 repetitions, up to 4 times a day.",
        "For leg pain that comes from the low back, moving the nerve gently helps it glide again.",
        at_desk=True,
        nerve=True,
    ),
    Routine(
        vocab.ROUTINE_QL_STRETCH,
        "Side bend (quadratus lumborum stretch)",
        (
            "Stand with your feet apart and reach one arm over your head.",
            "Bend sideways away from that arm until the side of your waist stretches, then come back.",
            "Do the other side.",
        ),
        "A few slow, pain-free bends each way.",
        "The deep muscle at the side of the low back often tightens with sitting and adds to a stiff back.",
        at_desk=True,
    ),
    Routine(
        vocab.ROUTINE_WALK,
        "A short walk",
        ("Get up and walk for two minutes: to the window, for water, up and down a corridor.",),
        "About 2 minutes, every 20 to 30 minutes of sitting.",
        "Short walks that break up sitting help your back and your blood sugar.",
        at_desk=True,
    ),
)

BY_CODE = {r.code: r for r in CATALOGUE}
BY_NAME = {vocab.routine_name(r.code): r for r in CATALOGUE}
# The three routines offered first; the others come in only by the wearer's choice.
CORE = (vocab.ROUTINE_EXTENSION, vocab.ROUTINE_PELVIC_TILTS, vocab.ROUTINE_HIP_FLEXOR_STRETCH)


def routine(code: int) -> Routine:
    try:
        return BY_CODE[code]
    except KeyError:
        raise ValueError(f"no routine with code {code}; known: {', '.join(BY_NAME)}") from None


def by_name(name: str) -> Routine:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"no routine called {name!r}; choose from {', '.join(BY_NAME)}") from None


def card_text(code: int) -> str:
    """The routine card as plain text: title, steps, dose, why, then the notes every card ends with."""
    r = routine(code)
    lines = [r.title, ""]
    lines += [f"{i}. {step}" for i, step in enumerate(r.steps, 1)]
    lines += ["", f"How much: {r.dose}", f"Why: {r.why}", ""]
    if r.nerve:
        lines += [RED_FLAG_NOTE, ""]
    lines.append(SAFETY_NOTE)
    return "\n".join(lines)


def one_line(code: int) -> str:
    """A short suggestion for the notification body."""
    r = routine(code)
    return f"{r.title}: {r.dose}"
