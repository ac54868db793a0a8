// cmocka 1.1.5 needs these headers first and has no C++ guards of its own.
#pragma once

extern "C" {
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
}
