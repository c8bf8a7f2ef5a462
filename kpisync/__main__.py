from kpisync.cli import main

main()
