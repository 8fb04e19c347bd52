from campaign_api.cli import main

raise SystemExit(main())
