#include "core/domain/charge_book.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <utility>

#include "core/domain/charge_date.h"
#include "core/domain/cost_model.h"

namespace grants {

namespace {

bool passes(const LedgerFilter& f, std::int64_t at) {
    return (!f.since || at >= *f.since) && (!f.until || at < *f.until);
}

// Booked charges as ChargeRecords in the ledger's order: job, then run
// (charges of a later pass may belong to an earlier job).
void records_in_ledger_order(const std::string& award, std::vector<BookedCharge> picked,
                             const std::vector<std::string>& users, const std::vector<ChargePlace>& places,
                             std::vector<ChargeRecord>* charges) {
    std::stable_sort(picked.begin(), picked.end(), [](const BookedCharge& x, const BookedCharge& y) {
        return x.job_id != y.job_id ? x.job_id < y.job_id : x.run_start < y.run_start;
    });
    charges->reserve(picked.size());
    for (const BookedCharge& b : picked) {
        ChargeRecord c;
        c.award = award;
        c.user = users[b.user];
        if (b.place < places.size()) {
            c.partition = places[b.place].partition;
            c.account = places[b.place].account;
            c.cluster = places[b.place].cluster;
        }
        c.job_id = b.job_id;
        c.run_start = b.run_start;
        c.chips = b.chips;
        c.seconds = b.seconds;
        c.chip_hours = b.chip_hours;
        c.usd = b.usd;
        c.recorded_at = b.recorded_at;
        charges->push_back(std::move(c));
    }
}

}  // namespace

DayNumber utc_day_of(std::int64_t at) {
    return static_cast<DayNumber>(at >= 0 ? at / 86400 : -((-at + 86399) / 86400));
}

void ChargeBook::Contents::add(const ChargeRecord& c) {
    AwardEntries& a = awards_[c.award];
    auto [it, fresh] = a.user_index.emplace(c.user, static_cast<std::uint32_t>(a.users.size()));
    if (fresh) {
        a.users.push_back(c.user);
        a.member_sums.emplace_back();
    }
    const Ticks usd = charge_in_unit(Budget::Unit::Usd, c.chip_hours, c.usd);
    MemberSums& m = a.member_sums[it->second];
    m.runs += 1;
    m.chip_hours = add_saturating(m.chip_hours, c.chip_hours);
    m.usd = add_saturating(m.usd, usd);
    // Charges arrive mostly in day order (appended as they are recorded; a
    // load reads them by job): the last day, or a new last day, is the
    // common case; an earlier day is found by binary search.
    const DayNumber day = charge_day(c, day_of_);
    auto d = a.days.end();
    if (a.days.empty() || a.days.back().day < day) {
        d = a.days.insert(a.days.end(), DaySums{day, 0, 0});
    } else if (a.days.back().day == day) {
        d = a.days.end() - 1;
    } else {
        d = std::lower_bound(a.days.begin(), a.days.end(), day,
                             [](const DaySums& x, DayNumber want) { return x.day < want; });
        if (d == a.days.end() || d->day != day) d = a.days.insert(d, DaySums{day, 0, 0});
    }
    d->chip_hours = add_saturating(d->chip_hours, c.chip_hours);
    d->usd = add_saturating(d->usd, usd);
    BookedCharge b;
    b.run_start = c.run_start;
    b.recorded_at = c.recorded_at;
    b.chips = c.chips;
    b.seconds = c.seconds;
    b.chip_hours = c.chip_hours;
    b.usd = c.usd;
    b.job_id = c.job_id;
    b.user = it->second;
    const ChargePlace place{c.partition, c.account, c.cluster};
    auto found = std::find(a.places.begin(), a.places.end(), place);
    b.place = static_cast<std::uint32_t>(found - a.places.begin());
    if (found == a.places.end()) a.places.push_back(place);
    a.charges.push_back(b);
    ++charges_;
}

void ChargeBook::Contents::add(const Adjustment& adjustment) { awards_[adjustment.award].adjustments.push_back(adjustment); }

void ChargeBook::Contents::add(const Deposit& deposit) { awards_[deposit.award].deposits.push_back(deposit); }

void ChargeBook::Contents::shrink() {
    for (auto& [id, a] : awards_) {
        a.charges.shrink_to_fit();
        a.users.shrink_to_fit();
        a.places.shrink_to_fit();
        a.deposits.shrink_to_fit();
        a.member_sums.shrink_to_fit();
        a.days.shrink_to_fit();
        a.adjustments.shrink_to_fit();
    }
}

void ChargeBook::replace(Contents contents) {
    auto fresh = std::make_unique<Contents>(std::move(contents));
    {
        std::lock_guard<std::mutex> lock(mutex_);
        contents_.swap(fresh);
    }
    // fresh (the old contents) is freed here, unlocked.
}

void ChargeBook::add_charges(const std::vector<ChargeRecord>& inserted) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!contents_) return;  // loaded later, from the ledger, with these
    for (const auto& c : inserted) {
        contents_->add(c);
        if (contents_->read_) contents_->recorded_.emplace(c.cluster, c.job_id, c.run_start);
    }
}

std::optional<BookMarks> ChargeBook::read_marks() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!contents_ || !contents_->read_) return std::nullopt;
    return contents_->last_;
}

std::size_t ChargeBook::recorded_unread() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return contents_ ? contents_->recorded_.size() : 0;
}

namespace {

// Whether rows, ids in increasing order, all lie above after and, added to
// the held ones, make the ledger's count: then the rows are exactly those
// the book lacks, if the ledger only ever appended (the rewrites say so).
// A row deleted lowers the count; a row made visible below after (MySQL)
// raises it without being among the rows.
template <typename Id, typename Rows>
bool follows(std::int64_t after, std::int64_t held, std::int64_t counted, const Rows& rows, const Id& id_of) {
    std::int64_t last = after;
    for (const auto& r : rows) {
        if (id_of(r) <= last) return false;
        last = id_of(r);
    }
    return held + static_cast<std::int64_t>(rows.size()) == counted;
}

std::int64_t last_id(std::int64_t after, std::int64_t id) { return std::max(after, id); }

}  // namespace

bool ChargeBook::append_read(const BookMarks& marks, const BookRows& rows) {
    const auto first = [](const auto& r) { return r.first; };
    std::lock_guard<std::mutex> lock(mutex_);
    if (!contents_ || !contents_->read_) return false;
    Contents& c = *contents_;
    if (c.last_.charges != marks.charges || c.last_.adjustments != marks.adjustments ||
        c.last_.deposits != marks.deposits || rows.rewrites != c.rewrites_ ||
        !follows(marks.charges, c.held_.charges, rows.rows.charges, rows.charges, first) ||
        !follows(marks.adjustments, c.held_.adjustments, rows.rows.adjustments, rows.adjustments, first) ||
        !follows(marks.deposits, c.held_.deposits, rows.rows.deposits, rows.deposits,
                 [](const Deposit& d) { return d.id; })) {
        return false;
    }
    // Each charge add_charges added must be among the rows (it was
    // committed before it was added): one missing is a doubt.
    std::size_t recorded = 0;
    for (const auto& [id, charge] : rows.charges) {
        recorded += c.recorded_.count(std::make_tuple(charge.cluster, charge.job_id, charge.run_start));
    }
    if (recorded != c.recorded_.size()) return false;
    for (const auto& [id, charge] : rows.charges) {
        if (!c.recorded_.count(std::make_tuple(charge.cluster, charge.job_id, charge.run_start))) c.add(charge);
    }
    for (const auto& [id, adjustment] : rows.adjustments) c.add(adjustment);
    for (const Deposit& d : rows.deposits) c.add(d);
    c.recorded_.clear();
    if (!rows.charges.empty()) c.last_.charges = last_id(marks.charges, rows.charges.back().first);
    if (!rows.adjustments.empty()) c.last_.adjustments = last_id(marks.adjustments, rows.adjustments.back().first);
    if (!rows.deposits.empty()) c.last_.deposits = last_id(marks.deposits, rows.deposits.back().id);
    c.held_ = rows.rows;
    return true;
}

bool ChargeBook::loaded() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return contents_ != nullptr;
}

void ChargeBook::clear() {
    std::unique_ptr<Contents> old;
    std::lock_guard<std::mutex> lock(mutex_);
    old.swap(contents_);
}

template <class Pick>
void ChargeBook::pick_entries(const std::string& award, std::vector<ChargeRecord>* charges, Pick&& pick) const {
    std::vector<BookedCharge> picked;
    std::vector<std::string> users;
    std::vector<ChargePlace> places;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!contents_) return;
        auto it = contents_->awards_.find(award);
        if (it == contents_->awards_.end() || !pick(it->second, picked)) return;
        users = it->second.users;
        places = it->second.places;
    }
    records_in_ledger_order(award, std::move(picked), users, places, charges);
}

void ChargeBook::award_entries(const std::string& award, const LedgerFilter& filter, std::vector<ChargeRecord>* charges,
                               std::vector<Adjustment>* adjustments) const {
    charges->clear();
    adjustments->clear();
    pick_entries(award, charges, [&](const Contents::AwardEntries& a, std::vector<BookedCharge>& picked) {
        std::optional<std::uint32_t> only;
        if (filter.user) {
            auto u = a.user_index.find(*filter.user);
            if (u == a.user_index.end()) return false;  // no charges, and a user filter leaves adjustments out
            only = u->second;
        }
        for (const BookedCharge& c : a.charges) {
            if (charge_in_period(charge_moment(c.run_start, c.recorded_at), filter.since, filter.until) &&
                (!only || c.user == *only)) {
                picked.push_back(c);
            }
        }
        if (!filter.user) {
            for (const Adjustment& adj : a.adjustments) {
                if (passes(filter, adj.at)) adjustments->push_back(adj);
            }
        }
        return true;
    });
}

void ChargeBook::statement_entries(const std::string& award, std::int64_t until, std::vector<ChargeRecord>* charges,
                                   std::vector<Adjustment>* adjustments, std::vector<Deposit>* deposits) const {
    charges->clear();
    adjustments->clear();
    deposits->clear();
    pick_entries(award, charges, [&](const Contents::AwardEntries& a, std::vector<BookedCharge>& picked) {
        for (const BookedCharge& c : a.charges) {
            if (c.run_start < until) picked.push_back(c);
        }
        for (const Adjustment& adj : a.adjustments) {
            if (adj.at < until) adjustments->push_back(adj);
        }
        for (const Deposit& d : a.deposits) {
            if (d.at < until) deposits->push_back(d);
        }
        return true;
    });
}

std::vector<JobRow> ChargeBook::job_rows(const JobsScope& scope, const JobsQuestion& question, std::int64_t now,
                                         const std::function<Budget::Unit(const std::string&)>& unit_of) const {
    std::vector<JobRow> out;
    if (!scope.refused.empty()) return out;
    std::lock_guard<std::mutex> lock(mutex_);
    if (!contents_) return out;
    for (const auto& [id, a] : contents_->awards_) {
        if (scope.awards && !scope.awards->count(id)) continue;
        std::optional<std::uint32_t> only;
        if (scope.user) {
            auto u = a.user_index.find(*scope.user);
            if (u == a.user_index.end()) continue;
            only = u->second;
        }
        const Budget::Unit unit = unit_of(id);
        for (const BookedCharge& c : a.charges) {
            if (only && c.user != *only) continue;
            JobRow row;
            row.job_id = c.job_id;
            row.state = JobRow::State::Finished;
            row.charged = true;
            row.start = c.run_start;
            row.end = c.run_start + c.seconds;
            if (!job_in_window(row, question, now)) continue;
            if (!question.job_ids.empty() &&
                std::find(question.job_ids.begin(), question.job_ids.end(), c.job_id) == question.job_ids.end()) {
                continue;
            }
            row.award = id;
            row.user = a.users[c.user];
            row.partition = c.place < a.places.size() ? a.places[c.place].partition : std::string();
            row.unit = unit;
            row.amount = charge_in_unit(unit, c.chip_hours, c.usd);
            row.chips = c.chips;
            row.seconds = c.seconds;
            out.push_back(std::move(row));
        }
    }
    return out;
}

std::map<std::string, MemberCharges> ChargeBook::members(const std::string& award, Budget::Unit unit) const {
    std::map<std::string, MemberCharges> out;
    std::lock_guard<std::mutex> lock(mutex_);
    if (!contents_) return out;
    auto it = contents_->awards_.find(award);
    if (it == contents_->awards_.end()) return out;
    const auto& a = it->second;
    for (std::size_t i = 0; i < a.users.size(); ++i) {
        const Contents::MemberSums& m = a.member_sums[i];
        out.emplace(a.users[i], MemberCharges{m.runs, unit == Budget::Unit::Usd ? m.usd : m.chip_hours});
    }
    return out;
}

std::map<DayNumber, Ticks> ChargeBook::daily(const std::string& award, Budget::Unit unit, DayNumber first_day) const {
    std::vector<std::pair<DayNumber, Ticks>> picked;  // copied under the lock, the map built after it
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!contents_) return {};
        auto it = contents_->awards_.find(award);
        if (it == contents_->awards_.end()) return {};
        const auto& days = it->second.days;
        auto d = std::lower_bound(days.begin(), days.end(), first_day,
                                  [](const Contents::DaySums& x, DayNumber want) { return x.day < want; });
        picked.reserve(static_cast<std::size_t>(days.end() - d));
        for (; d != days.end(); ++d) picked.emplace_back(d->day, unit == Budget::Unit::Usd ? d->usd : d->chip_hours);
    }
    std::map<DayNumber, Ticks> out;
    for (const auto& [day, ticks] : picked) out.emplace_hint(out.end(), day, ticks);
    return out;
}

std::size_t ChargeBook::charges() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return contents_ ? contents_->charges_ : 0;
}

std::size_t ChargeBook::bytes() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!contents_) return 0;
    // A hash node: the value, the next pointer and the cached hash.
    constexpr std::size_t kNode = 2 * sizeof(void*);
    std::size_t n = sizeof(Contents) + contents_->awards_.bucket_count() * sizeof(void*);
    for (const auto& [id, a] : contents_->awards_) {
        n += kNode + sizeof(std::pair<const std::string, Contents::AwardEntries>) + id.capacity();
        n += a.charges.capacity() * sizeof(BookedCharge);
        n += a.users.capacity() * sizeof(std::string) + a.user_index.bucket_count() * sizeof(void*);
        n += a.member_sums.capacity() * sizeof(Contents::MemberSums) + a.days.capacity() * sizeof(Contents::DaySums);
        for (const auto& u : a.users) n += 2 * u.capacity() + kNode + sizeof(std::pair<const std::string, std::uint32_t>);
        n += a.places.capacity() * sizeof(ChargePlace);
        for (const auto& p : a.places) n += p.partition.capacity() + p.account.capacity() + p.cluster.capacity();
        n += a.deposits.capacity() * sizeof(Deposit);
        for (const auto& d : a.deposits) n += d.award.capacity() + d.unit.capacity() + d.reason.capacity() + d.who.capacity();
        n += a.adjustments.capacity() * sizeof(Adjustment);
        for (const auto& adj : a.adjustments) n += adj.award.capacity() + adj.unit.capacity() + adj.reason.capacity() + adj.who.capacity();
    }
    // The keys of recorded charges not yet read back: a tree node each.
    for (const auto& key : contents_->recorded_) n += 4 * sizeof(void*) + sizeof(key) + std::get<0>(key).capacity();
    return n;
}

void ChargeBook::Contents::finish_load(const std::vector<Adjustment>& adjustments, const std::vector<Deposit>& deposits,
                                       const BookRows& marks) {
    for (const Adjustment& a : adjustments) add(a);
    for (const Deposit& d : deposits) add(d);
    shrink();
    read_ = true;
    last_ = marks.last;
    held_ = BookMarks{static_cast<std::int64_t>(charges_), static_cast<std::int64_t>(adjustments.size()),
                      static_cast<std::int64_t>(deposits.size())};
    rewrites_ = marks.rewrites;
}

}  // namespace grants
