import MVDCommands

EvaluateCommand.main()
