// Filling slurmctld's charge book (domain/charge_book.h) from the ledger:
// whole, or only the rows appended since it last read.
#pragma once

#include <string>

#include "core/domain/charge_book.h"
#include "core/storage/ledger.h"

namespace grants {

// Reads every charge, adjustment and deposit of the ledger into contents (in one read
// transaction; what contents held is dropped, its day_of kept). false with
// *error when the ledger cannot be read.
bool load_charge_book(const Ledger& ledger, ChargeBook::Contents* contents, std::string* error);

// What update_charge_book did.
enum class BookUpdate {
    Updated,  // the rows appended since the last read are in the book
    Reload,   // they cannot be trusted to be all that changed: load the whole ledger
    Failed,   // the ledger cannot be read (*error); the book is unchanged
};
// Reads only the rows appended to the ledger since the book last read it
// (in one read transaction) and adds them: after a full load, what another
// writer appends costs what it adds, not the whole ledger again.
BookUpdate update_charge_book(const Ledger& ledger, ChargeBook* book, std::string* error);

}  // namespace grants
