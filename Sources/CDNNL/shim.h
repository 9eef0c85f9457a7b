/* oneDNN 2.x C API (Debian libdnnl-dev; no pkg-config entry, so the module map names the library). */
#include <oneapi/dnnl/dnnl.h>
/* Debian builds oneDNN on OpenMP (libgomp); the kernels give it one thread per calling thread. */
void omp_set_num_threads(int n);
