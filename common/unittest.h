/*
 * unittest.h - helpers private to a file that a unit test calls (the idea
 * of curl's UNITTEST).
 *
 * Such a helper is defined `UNITTEST int foo(...)`: static in the product,
 * where nothing else may call it, and extern when the file is compiled
 * for a unit test with -DMEETOPIA_UNITTEST (the test program compiles the
 * module's source itself, with that flag, instead of taking it from the
 * module's library; see the module's local.mk).  Its prototype sits in the
 * module's header between `#ifdef MEETOPIA_UNITTEST` and `#endif`, so
 * only tests see it.
 */
#ifndef MEETOPIA_UNITTEST_H
#define MEETOPIA_UNITTEST_H

#ifdef MEETOPIA_UNITTEST
#define UNITTEST
#else
#define UNITTEST static
#endif

#endif
