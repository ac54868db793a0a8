// Recognising a federation sibling's copy of a job (core/domain/federation.h).
#include <cstdint>

#include "cmocka.h"
#include "core/domain/federation.h"

using grants::federation_origin;
using grants::SubmitOrigin;

namespace {

constexpr std::uint32_t kNoVal = 0xfffffffeu;

// As observed: beta (federation id 2) runs job_submit for alpha's (id 1)
// first job, 67108865, with uid 0 and both clusters viable.
void sibling_copy_names_its_origin(void**) {
    assert_int_equal(1, federation_origin(SubmitOrigin{0, 67108865u, 0x3}));
    assert_int_equal(2, federation_origin(SubmitOrigin{0, 134217729u, 0x3}));
    assert_int_equal(63, federation_origin(SubmitOrigin{0, (63u << 26) + 5, 1ull << 62}));
}

// The origin's own decision: the user's uid, no job id yet.
void origin_submission_is_not_a_copy(void**) {
    assert_int_equal(0, federation_origin(SubmitOrigin{1001, kNoVal, 0}));
    // fed_siblings_viable travels from the client: a user setting it (and a
    // job id) is still not a copy.
    assert_int_equal(0, federation_origin(SubmitOrigin{1001, 67108865u, 0x3}));
}

// Root submitting outside a federation (or with --jobid): no siblings, or an
// id without an origin in its high bits.
void root_without_federation_is_not_a_copy(void**) {
    assert_int_equal(0, federation_origin(SubmitOrigin{0, kNoVal, 0x3}));
    assert_int_equal(0, federation_origin(SubmitOrigin{0, 4242, 0}));
    assert_int_equal(0, federation_origin(SubmitOrigin{0, 4242, 0x3}));
    assert_int_equal(0, federation_origin(SubmitOrigin{0, 0, 0x3}));
}

}  // namespace

int main() {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sibling_copy_names_its_origin),
        cmocka_unit_test(origin_submission_is_not_a_copy),
        cmocka_unit_test(root_without_federation_is_not_a_copy),
    };
    return cmocka_run_group_tests(tests, nullptr, nullptr);
}
