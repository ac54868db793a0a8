// grantctl report --instances: the enforced partitions' instance time from
// the ledger, reconciled with what the awards were charged (instance_time.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/render/field_list.h"

namespace grants {
class Ledger;
}

namespace grants::cli {

// Prints the reconciliation in format (table, csv or json); false with
// *error when the ledger cannot be read. now ends the open segments.
// The fields of the CSV's records, for -o/--format.
const std::vector<std::string>& instance_report_fields();
// style: Slurm's -o/--parsable2/-n (the CSV's records as rows); null: format.
bool print_instance_report(const Ledger& ledger, std::optional<std::int64_t> since, std::optional<std::int64_t> until,
                           const std::string& format, std::int64_t now, std::string* error,
                           const RowStyle* style = nullptr);

}  // namespace grants::cli
