// grantctl report straight from the ledger: the database groups and sums,
// the sink (domain/report.h) sees exactly what build_report makes of the
// same charges and adjustments.
#pragma once

#include <string>
#include <vector>

#include "core/domain/report.h"
#include "core/storage/ledger.h"

namespace grants {

// false with *error when the ledger cannot be read (the sink may have seen
// part of the report: by job, rows are handed over as they are read).
// Run it inside ledger.begin_read() / end_read() to read one consistent ledger.
bool stream_report(const Ledger& ledger, const ReportQuery& query, ReportSink& sink, std::string* error);

// stream_report into AwardReports (by user or day: one row per group).
bool report_from_ledger(const Ledger& ledger, const ReportQuery& query, std::vector<AwardReport>* out,
                        std::string* error);

}  // namespace grants
