/* submit_many: submit COUNT batch jobs through libslurm's
 * slurm_submit_batch_job(), the RPC sbatch sends (REQUEST_SUBMIT_BATCH_JOB),
 * without sbatch's process start-up, so a benchmark can fill a queue quickly
 * and time many RPCs per round on a 2-core machine.
 *
 *   submit_many COUNT PARTITION AWARD HOLD [TIME_MINUTES [NAME]]
 *
 * The request carries what sbatch would send for
 *   sbatch -p PARTITION --award=AWARD -t TIME [--hold] -o /dev/null script
 * (the SPANK option as _SLURM_SPANK_OPTION_grants_award in spank_job_env,
 * the caller's environment plus SLURM_* variables, a small script). AWARD "-"
 * sends no award. HOLD 1 submits held (priority 0), so jobs stay queued.
 * Prints "submitted N failed M seconds S" and the first error, if any. */
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: submit_many COUNT PARTITION AWARD HOLD [TIME_MINUTES [NAME]]\n");
		return 2;
	}
	long count = atol(argv[1]);
	const char *partition = argv[2], *award = argv[3];
	int hold = atoi(argv[4]);
	unsigned time_limit = argc > 5 ? (unsigned) atoi(argv[5]) : 10;
	char *name = argc > 6 ? argv[6] : "bench";

	/* environment: the caller's, plus what sbatch adds */
	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 8, sizeof(char *));
	size_t e = 0;
	for (size_t i = 0; i < n; i++)
		env[e++] = environ[i];
	env[e++] = "SLURM_GET_USER_ENV=0";
	env[e++] = "SLURM_SUBMIT_DIR=/tmp";
	env[e++] = "SLURM_NPROCS=1";
	env[e++] = "SLURM_NTASKS=1";

	char award_opt[200];
	snprintf(award_opt, sizeof award_opt, "_SLURM_SPANK_OPTION_grants_award=%s", award);
	char *spank[1] = {award_opt};

	char cwd[4096];
	if (!getcwd(cwd, sizeof cwd))
		strcpy(cwd, "/tmp");

	slurm_init(NULL);
	long ok = 0, failed = 0;
	int first_error = 0;
	char *first_msg = NULL;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < count; i++) {
		job_desc_msg_t d;
		slurm_init_job_desc_msg(&d);
		d.name = name;
		d.partition = (char *) partition;
		d.time_limit = time_limit;
		d.min_nodes = 1;
		d.num_tasks = 1;
		d.user_id = getuid();
		d.group_id = getgid();
		d.work_dir = cwd;
		d.std_out = "/dev/null";
		d.std_err = "/dev/null";
		d.script = "#!/bin/sh\n#SBATCH --award\ntrue\n";
		d.environment = env;
		d.env_size = (uint32_t) e;
		if (strcmp(award, "-") != 0) {
			d.spank_job_env = spank;
			d.spank_job_env_size = 1;
		}
		if (hold)
			d.priority = 0;
		submit_response_msg_t *resp = NULL;
		if (slurm_submit_batch_job(&d, &resp) == SLURM_SUCCESS) {
			ok++;
		} else {
			failed++;
			if (!first_error) {
				first_error = errno; /* slurm_get_errno() (gone in 24.11) returned errno */
				if (resp && resp->job_submit_user_msg)
					first_msg = strdup(resp->job_submit_user_msg);
			}
		}
		if (resp)
			slurm_free_submit_response_response_msg(resp);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double s = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("submitted %ld failed %ld seconds %.3f\n", ok, failed, s);
	if (first_error)
		printf("first error: %s%s%s\n", slurm_strerror(first_error), first_msg ? ": " : "",
		       first_msg ? first_msg : "");
	slurm_fini();
	free(env);
	return failed ? 1 : 0;
}
