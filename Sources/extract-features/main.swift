import MVDCommands

ExtractFeaturesCommand.main()
