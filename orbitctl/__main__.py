from orbitctl.cli import main

main()
