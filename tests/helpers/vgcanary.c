/* A planted error (a read past a malloc'd block): proves that memcheck runs
 * and that tests/valgrind.sh catches its errors. */
#include <stdio.h>
#include <stdlib.h>
int main(void) { int *p = malloc(4 * sizeof(int)); int v = p[4]; free(p); printf("%d\n", v > 0); return 0; }
