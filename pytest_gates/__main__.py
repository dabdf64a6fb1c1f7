from pytest_gates.cli.main import main

raise SystemExit(main())
