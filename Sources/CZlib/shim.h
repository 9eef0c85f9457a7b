/* zlib (Debian's zlib1g-dev): deflate for PNG's IDAT chunk, CRC-32 for PNG chunks and zip entries. */
#include <zlib.h>
