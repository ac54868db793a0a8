#include "core/storage/book_loader.h"

#include <cstdint>
#include <vector>

namespace grants {

bool load_charge_book(const Ledger& ledger, ChargeBook::Contents* contents, std::string* error) {
    *contents = ChargeBook::Contents(contents->day_of());
    if (!ledger.begin_read(error)) return false;
    std::vector<Adjustment> adjustments;
    std::vector<Deposit> deposits;
    bool ok = ledger.each_charge_by_award({}, [contents](const ChargeRecord& c) { contents->add(c); }, error) &&
              ledger.adjustments(&adjustments, error) && ledger.deposits(&deposits, error);
    // After the rows (see MysqlLedger::book_rows_after): a row committed
    // between, if the read is not one snapshot, leaves the counts above what
    // was read, and the next update_charge_book loads the whole ledger.
    BookRows marks;
    ok = ok && ledger.book_rows_after(BookMarks{INT64_MAX, INT64_MAX, INT64_MAX}, &marks, error);
    ledger.end_read();
    if (!ok) return false;
    contents->finish_load(adjustments, deposits, marks);
    return true;
}

BookUpdate update_charge_book(const Ledger& ledger, ChargeBook* book, std::string* error) {
    const std::optional<BookMarks> marks = book->read_marks();
    if (!marks) return BookUpdate::Reload;
    if (!ledger.begin_read(error)) return BookUpdate::Failed;
    BookRows rows;
    const bool ok = ledger.book_rows_after(*marks, &rows, error);
    ledger.end_read();
    if (!ok) return BookUpdate::Failed;
    return book->append_read(*marks, rows) ? BookUpdate::Updated : BookUpdate::Reload;
}

}  // namespace grants
