from pytest_gates.cli import main

raise SystemExit(main())
