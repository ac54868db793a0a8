// libFuzzer target for the policy loader and the other parsers of untrusted text.
//
// Built and run by tests/fuzz/run-fuzz.sh (part of `make check`). Any crash,
// leak, sanitizer report, escaped exception or broken invariant below is a bug
// in src/core: keep the reproducer as tests/unit/fixtures/regress-*.yaml.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "core/base/award_id.h"
#include "core/base/decimal.h"
#include "core/base/duration.h"
#include "core/domain/admin_comment.h"
#include "core/policy/policy_loader.h"

namespace {

[[noreturn]] void broken(const char* what) {
    std::fprintf(stderr, "fuzz_policy: invariant broken: %s\n", what);
    std::abort();
}

void check(bool ok, const char* what) {
    if (!ok) broken(what);
}

// Defeats dead-code elimination of results we only read.
volatile std::size_t g_sink;

// quote_untrusted promises printable ASCII, wrapped in quotes.
void check_quoted(const std::string& q) {
    check(q.size() >= 2 && q.front() == '"' && q.back() == '"', "quote_untrusted: not wrapped in quotes");
    for (char c : q) {
        auto b = static_cast<unsigned char>(c);
        check(b >= 0x20 && b < 0x7f, "quote_untrusted: unprintable byte in output");
    }
}

void fuzz_loader(std::string_view text) {
    grants::PolicyLoad load = grants::load_policy_text(text, "fuzz.yaml");
    check((load.policy == nullptr) == !load.errors.empty(), "load_policy_text: policy xor errors");
    std::size_t n = 0;
    for (const grants::Diagnostic& d : load.errors) {
        check(d.file == "fuzz.yaml", "diagnostic names another file");
        check(!d.message.empty(), "empty diagnostic message");
        n += d.to_string().size();
    }
    if (const auto& p = load.policy) {
        n += static_cast<std::size_t>(p->version) + p->enforced_partitions.size() + p->partitions.size();
        for (const auto& [id, award] : p->awards) {
            check(id == award.id, "award stored under another id");
            check(grants::is_valid_award_id(id), "policy accepted an invalid award id");
            check(p->find_award(id) == &award, "find_award does not find an award");
            n += award.title.size() + award.pi.size() + award.members.users.size() + award.members.groups.size() +
                 award.members.accounts.size();
            // What the loader promises about the quota fields.
            check(award.budget.amount >= 0 && award.budget.amount <= grants::kMaxAmountMicros,
                  "budget amount out of range");
            if (award.valid.from && award.valid.until) {
                check(*award.valid.from <= *award.valid.until, "validity window ends before it starts");
            }
            for (const auto& part : award.partitions) {
                check(p->enforces(part), "award partition is not enforced");
            }
            if (const auto& w = award.limits.max_walltime_seconds) {
                check(*w > 0 && *w <= grants::kMaxDurationSeconds, "max_walltime out of range");
            }
            n += static_cast<std::size_t>(award.budget.amount) + award.partitions.size();
        }
        for (const auto& [name, settings] : p->users) {
            n += name.size();
            if (!settings.default_award.empty()) {
                check(p->find_award(settings.default_award) != nullptr, "default_award names no award");
            }
        }
        for (const auto& part : p->enforced_partitions) {
            check(p->find_partition(part) != nullptr, "enforced partition has no cost model");
            n += p->enforces(part);
        }
    }
    g_sink = n;
}

void fuzz_award_id(std::string_view text) {
    std::string problem = grants::award_id_problem(text);
    check(problem.empty() == grants::is_valid_award_id(text), "award_id_problem disagrees with is_valid_award_id");
    std::string quoted = grants::quote_untrusted(text);
    check_quoted(quoted);
    check_quoted(grants::quote_untrusted(text, 0));
    check_quoted(grants::quote_untrusted(text, 3));
    g_sink = problem.size() + quoted.size();
}

void fuzz_admin_comment(std::string_view text) {
    auto found = grants::award_in_admin_comment(text);
    if (found)
        check(text.find("award=" + *found) != std::string_view::npos, "award_in_admin_comment invented an award");

    // Use the input as the comment and its first line (if a valid ID) as the award.
    std::string_view award = text.substr(0, text.find('\n'));
    std::string tagged = grants::with_award_tag(text, award);
    if (grants::is_valid_award_id(award)) {
        auto back = grants::award_in_admin_comment(tagged);
        check(back && *back == award, "with_award_tag result does not carry the award");
        // Tagging twice is idempotent.
        check(grants::with_award_tag(tagged, award) == tagged, "with_award_tag is not idempotent");
    }
    g_sink = tagged.size() + (found ? found->size() : 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        fuzz_loader(text);
        fuzz_award_id(text);
        fuzz_admin_comment(text);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz_policy: exception escaped from src/core: %s\n", e.what());
        std::abort();
    } catch (...) {
        std::fprintf(stderr, "fuzz_policy: unknown exception escaped from src/core\n");
        std::abort();
    }
    return 0;
}
