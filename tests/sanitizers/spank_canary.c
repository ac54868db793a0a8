/* A deliberately broken SPANK plugin, built with the sanitizers by
 * `make check-sanitizers` only (never installed). It proves that the checks
 * would see a report: loaded into an uninstrumented sbatch with the sanitizer
 * runtimes preloaded (as the integration suites run Slurm), it reads one byte
 * past a heap block and overflows a signed int when GRANTS_CANARY is set, and
 * check-sanitizers.sh must then find "AddressSanitizer" and "runtime error"
 * reports in the log directory. */
#include <stdlib.h>
#include <string.h>
#include <slurm/spank.h>

SPANK_PLUGIN(canary, 1);

int slurm_spank_init(spank_t sp, int ac, char **av)
{
    (void)sp; (void)ac; (void)av;
    const char *mode = getenv("GRANTS_CANARY");
    if (!mode)
        return 0;
    if (strcmp(mode, "ubsan") == 0) {
        volatile int big = 2147483647;
        volatile int sum = big + atoi("1");  /* signed overflow: UBSan */
        return sum == 0;
    }
    char *block = malloc(8);
    memset(block, 'x', 8);
    volatile char past = block[atoi("8")];  /* heap-buffer-overflow: ASan */
    free(block);
    return past == 0;
}
