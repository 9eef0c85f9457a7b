/* oneDNN 2.x C API (Debian libdnnl-dev; no pkg-config entry, so the module map names the library). */
#include <oneapi/dnnl/dnnl.h>
