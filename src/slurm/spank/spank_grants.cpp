// spank_grants: the SPANK dispatcher. Only slurm_spank_* callbacks live here;
// each forwards by context: option syntax in sbatch/srun/salloc (allocator,
// local), the approved award in slurmstepd (remote, spank_remote.cpp).
#include <string>
#include <vector>

extern "C" {
#include <slurm/spank.h>
}

#include "core/base/award_id.h"
#include "core/policy/plugin_args.h"
#include "spank_remote.h"

extern "C" {
extern const char plugin_name[];
extern const char plugin_type[];
extern const unsigned int plugin_version;
extern const unsigned int spank_plugin_version;
SPANK_PLUGIN(grants, 1)

int slurm_spank_init(spank_t sp, int ac, char** av);
int slurm_spank_init_post_opt(spank_t sp, int ac, char** av);
int slurm_spank_task_init(spank_t sp, int ac, char** av);
int slurm_spank_exit(spank_t sp, int ac, char** av);
}

namespace {

// Slurm may call an option callback more than once with the same value.
int on_award_option(int, const char* optarg, int remote) noexcept {
    if (remote) return 0;  // slurmstepd trusts only the controller's tag
    try {
        std::string problem = grants::award_id_problem(optarg ? optarg : "");
        if (!problem.empty()) {
            slurm_error("grants: %s", problem.c_str());
            return -1;
        }
        return 0;
    } catch (...) {
        slurm_error("grants: cannot check --award (out of memory)");
        return -1;
    }
}

char kOptionName[] = "award";
char kOptionArgInfo[] = "ID";
char kOptionUsage[] = "Charge this job to research award ID (see `grantctl balance`).";

struct spank_option award_option = {kOptionName, kOptionArgInfo, kOptionUsage, 1, 0, on_award_option};

std::vector<std::string> arguments(int ac, char** av) {
    std::vector<std::string> out;
    for (int i = 0; i < ac; ++i) out.emplace_back(av[i] ? av[i] : "");
    return out;
}

template <class Fn>
int guarded(const char* what, Fn&& fn) noexcept {
    try {
        return fn();
    } catch (const std::exception& e) {
        slurm_error("grants: %s: internal error: %s", what, e.what());
    } catch (...) {
        slurm_error("grants: %s: internal error", what);
    }
    return -1;
}

grants::SpankSettings settings;

}  // namespace

extern "C" int slurm_spank_init(spank_t sp, int ac, char** av) {
    return guarded("init", [&] {
        auto parsed = grants::parse_spank_args(arguments(ac, av));
        if (!parsed.error.empty()) {
            slurm_error("grants: %s", parsed.error.c_str());
            return -1;
        }
        settings = parsed.settings;
        spank_context_t ctx = spank_context();
        if (ctx == S_CTX_LOCAL || ctx == S_CTX_ALLOCATOR || ctx == S_CTX_REMOTE) {
            if (spank_option_register(sp, &award_option) != ESPANK_SUCCESS) {
                slurm_error("grants: cannot register --award");
                return -1;
            }
        }
        return 0;
    });
}

extern "C" int slurm_spank_init_post_opt(spank_t sp, int, char**) {
    return guarded("init_post_opt", [&] {
        if (spank_context() != S_CTX_REMOTE) return 0;
        return grants::spank::remote_init(sp, settings);
    });
}

extern "C" int slurm_spank_task_init(spank_t sp, int, char**) {
    return guarded("task_init", [&] {
        if (spank_context() != S_CTX_REMOTE) return 0;
        return grants::spank::remote_task_init(sp);
    });
}

extern "C" int slurm_spank_exit(spank_t, int, char**) { return 0; }
