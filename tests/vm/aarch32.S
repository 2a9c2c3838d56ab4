@ tests/vm/aarch32.S — an AArch32 program for the arm64 guests of
@ tests/vm.sh: arm64's compat ABI, which netpin's filter must kill as it
@ kills i386 and x32 on amd64 (its calls carry AUDIT_ARCH_ARM and EABI
@ numbers that no rule of the filter speaks of).
@
@ socket(AF_INET, SOCK_STREAM, 0), connect to 127.0.0.3:9600 (the guests'
@ denied server), write "aarch32", exit 0; exit 1 when the connect fails.
@ Under netpin it must die at its first call (SIGSYS) and the denied server
@ must receive nothing.  No libc: assembled by clang
@ (--target=armv7a-linux-gnueabi), linked by the cross binutils' ld
@ (-m armelf_linux_eabi).
	.arm
	.text
	.globl	_start
_start:
	mov	r0, #2		@ AF_INET
	mov	r1, #1		@ SOCK_STREAM
	mov	r2, #0
	movw	r7, #281	@ socket
	svc	#0
	mov	r4, r0
	adr	r1, sin
	mov	r2, #16
	movw	r7, #283	@ connect
	svc	#0
	cmp	r0, #0
	movne	r0, #1
	bne	out
	mov	r0, r4
	adr	r1, tag
	mov	r2, #7		@ strlen("aarch32")
	mov	r7, #4		@ write
	svc	#0
	mov	r0, #0
out:
	mov	r7, #1		@ exit
	svc	#0

sin:	.short	2			@ sin_family AF_INET
	.byte	0x25, 0x80		@ sin_port 9600, big-endian
	.byte	127, 0, 0, 3		@ sin_addr 127.0.0.3
	.space	8
tag:	.ascii	"aarch32"
