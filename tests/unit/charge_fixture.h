// One way for every unit test (and the ledger contract) to make a charge:
// a plausible run to start from, changed only where a test cares. By
// default a job of alice's under account "acct" on cluster "c" ran on trn1
// with 16 chips for an hour at $1.34 per chip-hour, recorded when it ended.
//
//   ChargeRecord c = TestCharge(7, t0, "A").user("bob").run(32, 600);
//   ChargeRecord d = TestCharge(8, t0, "A").amounts(ticks_of(1'000'000), -1);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "core/base/decimal.h"
#include "core/domain/ledger_records.h"

class TestCharge {
public:
    static constexpr grants::Micros kRate = 1'340'000;  // $1.34 per chip-hour

    TestCharge(std::uint32_t job, std::int64_t run_start, std::string award) {
        c_.cluster = "c";
        c_.job_id = job;
        c_.run_start = run_start;
        c_.award = std::move(award);
        c_.user = "alice";
        c_.account = "acct";
        c_.partition = "trn1";
        run(16, 3600);
    }

    TestCharge& cluster(std::string v) { c_.cluster = std::move(v); return *this; }
    TestCharge& user(std::string v) { c_.user = std::move(v); return *this; }
    TestCharge& account(std::string v) { c_.account = std::move(v); return *this; }
    TestCharge& partition(std::string v) { c_.partition = std::move(v); return *this; }
    // chips x seconds, priced as the ledger prices a run: chip-hours exact
    // (decimal.h: chips x seconds x 10^6 ticks) and dollars at rate micros
    // per chip-hour, or none (-1) for a partition without a rate.
    TestCharge& run(std::int64_t chips, std::int64_t seconds, grants::Micros rate = kRate) {
        c_.chips = chips;
        c_.seconds = seconds;
        c_.chip_hours = chips * seconds * 1'000'000;
        c_.usd = rate < 0 ? -1 : chips * seconds * rate;
        return *this;
    }
    // The run's shape alone, its amounts unchanged.
    TestCharge& shape(std::int64_t chips, std::int64_t seconds) {
        c_.chips = chips;
        c_.seconds = seconds;
        return *this;
    }
    // Amounts given outright (ticks; usd -1: no rate), whatever the shape.
    TestCharge& amounts(grants::Ticks chip_hours, grants::Ticks usd) {
        c_.chip_hours = chip_hours;
        c_.usd = usd;
        return *this;
    }
    // When the charge was written; by default when the run ended.
    TestCharge& recorded(std::int64_t at) { recorded_ = at; return *this; }

    operator grants::ChargeRecord() const {  // NOLINT: converts where a ChargeRecord is wanted
        grants::ChargeRecord c = c_;
        c.recorded_at = recorded_ ? *recorded_ : c.run_start + c.seconds;
        return c;
    }

private:
    grants::ChargeRecord c_;
    std::optional<std::int64_t> recorded_;
};
