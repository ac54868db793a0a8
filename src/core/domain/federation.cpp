#include "core/domain/federation.h"

namespace grants {

std::uint32_t federation_origin(const SubmitOrigin& s) {
    constexpr std::uint32_t kNoVal = 0xfffffffeu;  // Slurm's NO_VAL
    if (s.submit_uid != 0 || s.job_id == kNoVal || s.job_id == 0 || s.siblings_viable == 0) return 0;
    return s.job_id >> kFederationIdShift;
}

}  // namespace grants
