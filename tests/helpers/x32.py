# x32.py: one system call with the x32 numbering (getpid); a filter that
# kills the process for it leaves nothing printed
import ctypes
ctypes.CDLL(None).syscall(0x40000000 | 39)   # getpid, x32 numbering
print("survived")
