import MVDCommands
import Tensor

ProcessMemory.keepFreedMemory()
DistillCommand.main()
