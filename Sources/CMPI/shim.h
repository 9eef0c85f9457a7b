/* Open MPI's handles are macros over the addresses of its globals (MPI_COMM_WORLD is
   ((MPI_Comm)&ompi_mpi_comm_world)), which Swift cannot import: these accessors return them. */
#include <mpi.h>
static inline MPI_Comm     swmpi_COMM_WORLD(void) { return MPI_COMM_WORLD; }
static inline MPI_Datatype swmpi_FLOAT(void)      { return MPI_FLOAT; }
static inline MPI_Datatype swmpi_DOUBLE(void)     { return MPI_DOUBLE; }
static inline void *       swmpi_IN_PLACE(void)   { return MPI_IN_PLACE; }
