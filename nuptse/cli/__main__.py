from nuptse.cli import main

main()
