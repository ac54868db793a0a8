#include "cli/instance_report.h"

#include <iostream>
#include <map>
#include <vector>

#include "cli/json.h"
#include "cli/local_time.h"
#include "cli/row_output.h"
#include "cli/table.h"
#include "core/base/decimal.h"
#include "core/domain/instance_time.h"
#include "core/storage/ledger.h"

namespace grants::cli {

namespace {

// Hours of seconds, exact to the millionth (a second is 10^6 hour ticks).
std::string hours(std::int64_t seconds) { return format_ticks(static_cast<Ticks>(seconds) * 1'000'000); }

std::string usd_text(Ticks usd, bool priced) { return priced ? format_ticks(usd) : ""; }
std::string usd_json(Ticks usd, bool priced) { return priced ? format_ticks(usd) : "null"; }

constexpr int kBoot = static_cast<int>(InstanceKind::Boot);
constexpr int kBusy = static_cast<int>(InstanceKind::Busy);
constexpr int kIdle = static_cast<int>(InstanceKind::Idle);
constexpr int kFailed = static_cast<int>(InstanceKind::Failed);

std::string usage_json(const InstanceUsage& u) {
    std::string out = "{\"instance_type\":" + json_string(u.instance_type) + ",\"seconds\":{\"instance\":" +
                      std::to_string(u.instance_seconds());
    for (int k : {kBoot, kBusy, kIdle, kFailed}) {
        out += ",\"" + std::string(instance_kind_name(static_cast<InstanceKind>(k))) + "\":" + std::to_string(u.seconds[k]);
    }
    out += "},\"instance_hours\":" + hours(u.instance_seconds()) + ",\"chip_hours\":{\"instance\":" +
           format_ticks(u.instance_chip_hours());
    for (int k : {kBoot, kBusy, kIdle, kFailed}) {
        out += ",\"" + std::string(instance_kind_name(static_cast<InstanceKind>(k))) + "\":" + format_ticks(u.chip_hours[k]);
    }
    return out + "},\"usd\":" + usd_json(u.usd, u.priced) + "}";
}

void print_json(const std::vector<PartitionReconciliation>& parts, std::optional<std::int64_t> since,
                std::optional<std::int64_t> until, std::int64_t now) {
    std::cout << "{\"since\":" << (since ? json_string(local_timestamp(*since)) : "null")
              << ",\"until\":" << json_string(local_timestamp(until.value_or(now))) << ",\"partitions\":[";
    bool first = true;
    for (const auto& p : parts) {
        std::cout << (first ? "" : ",") << "{\"partition\":" << json_string(p.partition) << ",\"types\":[";
        first = false;
        for (std::size_t i = 0; i < p.types.size(); ++i) std::cout << (i ? "," : "") << usage_json(p.types[i]);
        std::cout << "],\"total\":" << usage_json(p.total) << ",\"charged\":{\"runs\":" << p.charged.runs
                  << ",\"chip_hours\":" << format_ticks(p.charged.chip_hours)
                  << ",\"usd\":" << usd_json(p.charged.usd, p.charged.priced) << "}"
                  << ",\"not_charged_chip_hours\":{\"boot\":" << format_ticks(p.total.chip_hours[kBoot])
                  << ",\"idle\":" << format_ticks(p.total.chip_hours[kIdle])
                  << ",\"failed\":" << format_ticks(p.total.chip_hours[kFailed])
                  << ",\"other\":" << format_ticks(p.other) << "}}";
    }
    std::cout << "]}\n";
}

// The CSV's records, one row each (csv, and Slurm's -o/--parsable2/-n).
std::vector<std::vector<std::string>> record_rows(const std::vector<PartitionReconciliation>& parts) {
    std::vector<std::vector<std::string>> rows;
    auto line = [&rows](const char* record, const InstanceUsage& u) {
        std::vector<std::string> r = {record,
                                      u.partition,
                                      u.instance_type,
                                      std::to_string(u.instance_seconds()),
                                      std::to_string(u.seconds[kBoot]),
                                      std::to_string(u.seconds[kBusy]),
                                      std::to_string(u.seconds[kIdle]),
                                      std::to_string(u.seconds[kFailed]),
                                      format_ticks(u.instance_chip_hours())};
        for (int k : {kBoot, kBusy, kIdle, kFailed}) r.push_back(format_ticks(u.chip_hours[k]));
        r.push_back(usd_text(u.usd, u.priced));
        r.push_back("");
        rows.push_back(std::move(r));
    };
    for (const auto& p : parts) {
        for (const auto& t : p.types) line("instances", t);
        line("partition", p.total);
        rows.push_back({"charged", p.partition, "", "", "", "", "", "", format_ticks(p.charged.chip_hours), "", "", "",
                        "", usd_text(p.charged.usd, p.charged.priced), std::to_string(p.charged.runs)});
        rows.push_back({"other", p.partition, "", "", "", "", "", "", format_ticks(p.other), "", "", "", "", "", ""});
    }
    return rows;
}

void print_table(const std::vector<PartitionReconciliation>& parts) {
    if (parts.empty()) {
        std::cout << "No instance time or charges on enforced partitions in this period.\n";
        return;
    }
    Table t({"PARTITION", "TYPE", "INSTANCE-H", "BOOT-H", "BUSY-H", "IDLE-H", "FAILED-H", "CHIP-H", "USD"},
            {false, false, true, true, true, true, true, true, true});
    for (const auto& p : parts) {
        for (const auto& u : p.types) {
            t.add({p.partition, u.instance_type.empty() ? "-" : u.instance_type, hours(u.instance_seconds()),
                   hours(u.seconds[kBoot]), hours(u.seconds[kBusy]), hours(u.seconds[kIdle]), hours(u.seconds[kFailed]),
                   format_ticks(u.instance_chip_hours()), usd_text(u.usd, u.priced)});
        }
        t.add({p.partition, "charged to awards (" + std::to_string(p.charged.runs) + " runs)", "", "", "", "", "",
               format_ticks(p.charged.chip_hours), usd_text(p.charged.usd, p.charged.priced)});
        t.add({p.partition, "not charged: boot + idle + failed", "", "", "", "", "",
               format_ticks(p.total.chip_hours[kBoot] + p.total.chip_hours[kIdle] + p.total.chip_hours[kFailed]), ""});
        t.add({p.partition, "not charged: other busy time", "", "", "", "", "", format_ticks(p.other), ""});
    }
    t.print(std::cout);
}

}  // namespace

const std::vector<std::string>& instance_report_fields() {
    static const std::vector<std::string> fields = {
        "record",         "partition",         "instance_type",     "instance_seconds", "boot_seconds",
        "busy_seconds",   "idle_seconds",      "failed_seconds",    "chip_hours",       "boot_chip_hours",
        "busy_chip_hours", "idle_chip_hours", "failed_chip_hours", "usd",              "runs"};
    return fields;
}

bool print_instance_report(const Ledger& ledger, std::optional<std::int64_t> since, std::optional<std::int64_t> until,
                           const std::string& format, std::int64_t now, std::string* error, const RowStyle* style) {
    std::vector<InstanceSegment> closed, open;
    std::map<std::string, ChargedTime> charged;
    if (!ledger.begin_read(error)) return false;
    const bool ok = ledger.instance_segments(std::nullopt, since, until, &closed, &open, error) &&
                    ledger.charged_time(since, until, &charged, error);
    ledger.end_read();
    if (!ok) return false;
    for (InstanceSegment& s : open) {
        s.seconds = now > s.start ? now - s.start : 0;  // open until now
        closed.push_back(std::move(s));
    }
    const auto parts = reconcile_instances(sum_instance_time(closed, since, until.value_or(now)), charged);
    if (format == "json") {
        print_json(parts, since, until, now);
    } else if (format == "csv" || style) {
        RowStyle csv;
        csv.kind = RowStyle::Kind::Csv;
        const std::vector<bool> right = {false, false, false, true, true, true, true, true,
                                         true,  true,  true,  true, true, true, true};
        print_rows(std::cout, instance_report_fields(), right, record_rows(parts), style ? *style : csv);
    } else {
        print_table(parts);
    }
    return true;
}

}  // namespace grants::cli
