/* An attacker's client, for tests/integration/test-attacks.sh: any user can
 * call libslurm's slurm_submit_batch_job() with a job description of their
 * own, so the job's spank environment may hold anything, e.g. COUNT award
 * options (sbatch's own setter keeps one per name). This submits one held
 * batch job whose spank_job_env is
 *     _SLURM_SPANK_OPTION_grants_award=PREFIX<i>   for i in 0..COUNT-1
 * (MODE "distinct") or COUNT times _SLURM_SPANK_OPTION_grants_award=PREFIX
 * (MODE "same").
 *
 *   award_flood COUNT MODE PARTITION PREFIX
 *
 * Prints "submitted JOBID" (exit 0) or "refused: ERROR" (exit 1); libslurm
 * prints slurmctld's message on stderr. */
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
	if (argc != 5 || (strcmp(argv[2], "distinct") && strcmp(argv[2], "same"))) {
		fprintf(stderr, "usage: award_flood COUNT distinct|same PARTITION PREFIX\n");
		return 2;
	}
	long count = atol(argv[1]);
	int distinct = strcmp(argv[2], "distinct") == 0;
	const char *partition = argv[3], *prefix = argv[4];
	if (count < 1 || count > 10000000) {
		fprintf(stderr, "award_flood: COUNT must be 1 to 10000000\n");
		return 2;
	}

	char **spank = calloc((size_t) count, sizeof(char *));
	if (!spank)
		return 2;
	for (long i = 0; i < count; i++) {
		char buf[256];
		if (distinct)
			snprintf(buf, sizeof buf, "_SLURM_SPANK_OPTION_grants_award=%s%ld", prefix, i);
		else
			snprintf(buf, sizeof buf, "_SLURM_SPANK_OPTION_grants_award=%s", prefix);
		if (!(spank[i] = strdup(buf)))
			return 2;
	}

	size_t n = 0;
	while (environ[n])
		n++;
	char **env = calloc(n + 4, sizeof(char *));
	if (!env)
		return 2;
	size_t e = 0;
	for (size_t i = 0; i < n; i++)
		env[e++] = environ[i];
	env[e++] = "SLURM_GET_USER_ENV=0";
	char cwd[4096];
	if (!getcwd(cwd, sizeof cwd))
		strcpy(cwd, "/tmp");

	slurm_init(NULL);
	job_desc_msg_t d;
	slurm_init_job_desc_msg(&d);
	d.name = "award_flood";
	d.partition = (char *) partition;
	d.time_limit = 5;
	d.min_nodes = 1;
	d.num_tasks = 1;
	d.user_id = getuid();
	d.group_id = getgid();
	d.work_dir = cwd;
	d.std_out = "/dev/null";
	d.std_err = "/dev/null";
	d.script = "#!/bin/sh\ntrue\n";
	d.environment = env;
	d.env_size = (uint32_t) e;
	d.spank_job_env = spank;
	d.spank_job_env_size = (uint32_t) count;
	d.priority = 0; /* held: nothing runs */

	submit_response_msg_t *resp = NULL;
	int rc = slurm_submit_batch_job(&d, &resp);
	if (rc == SLURM_SUCCESS && resp) {
		printf("submitted %u\n", resp->job_id);
	} else {
		printf("refused: %s\n", slurm_strerror(errno));
		if (resp && resp->job_submit_user_msg)
			printf("message: %s\n", resp->job_submit_user_msg);
	}
	fflush(stdout);
	if (resp)
		slurm_free_submit_response_response_msg(resp);
	slurm_fini();
	return rc == SLURM_SUCCESS ? 0 : 1;
}
