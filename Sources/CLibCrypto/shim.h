/* OpenSSL's libcrypto (Debian's libssl-dev): SHA-256 through the EVP digest interface, which picks the SHA-NI or
   AVX2 code for the running CPU. */
#include <openssl/evp.h>
