from lumbo.cli import main

raise SystemExit(main())
