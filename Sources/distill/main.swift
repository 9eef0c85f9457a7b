import MVDCommands

DistillCommand.main()
