import MVDCommands
import Tensor

ProcessMemory.keepFreedMemory()
EvaluateCommand.main()
