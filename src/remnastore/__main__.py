from remnastore.cli import main

raise SystemExit(main())
