from scalingplan.cli.app import main

main()
