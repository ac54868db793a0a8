/* An attacker's SPANK plugin, for tests/integration/test-attacks.sh: any user
 * can run sbatch with a slurm.conf and plugstack.conf of their own, so our
 * plugin's client-side checks are advisory. This one puts whatever
 * FORGE_AWARD holds straight into the job's spank environment as the award
 * option, so only job_submit/grants in slurmctld stands in the way. */
#include <stdlib.h>
#include <slurm/spank.h>

SPANK_PLUGIN(forge, 1);

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
    (void)ac; (void)av;
    const char *v = getenv("FORGE_AWARD");
    if (v && spank_context() == S_CTX_ALLOCATOR)
        spank_job_control_setenv(sp, "_SLURM_SPANK_OPTION_grants_award", v, 1);
    return 0;
}
