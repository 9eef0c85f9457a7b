import MVDCommands
import Tensor

ProcessMemory.keepFreedMemory()
ExtractFeaturesCommand.main()
