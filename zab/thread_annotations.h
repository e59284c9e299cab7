// Clang thread-safety analysis attributes (-Wthread-safety), prefixed ZK_. They expand to nothing
// on compilers that do not support them (GCC), so they are documentation there.
#pragma once

#if defined(__clang__)
#define ZK_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define ZK_THREAD_ANNOTATION(x)
#endif

#define ZK_CAPABILITY(x) ZK_THREAD_ANNOTATION(capability(x))
#define ZK_SCOPED_CAPABILITY ZK_THREAD_ANNOTATION(scoped_lockable)
#define ZK_GUARDED_BY(x) ZK_THREAD_ANNOTATION(guarded_by(x))
#define ZK_PT_GUARDED_BY(x) ZK_THREAD_ANNOTATION(pt_guarded_by(x))
#define ZK_ACQUIRED_BEFORE(...) ZK_THREAD_ANNOTATION(acquired_before(__VA_ARGS__))
#define ZK_ACQUIRED_AFTER(...) ZK_THREAD_ANNOTATION(acquired_after(__VA_ARGS__))
#define ZK_REQUIRES(...) ZK_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
#define ZK_REQUIRES_SHARED(...) ZK_THREAD_ANNOTATION(requires_shared_capability(__VA_ARGS__))
#define ZK_ACQUIRE(...) ZK_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define ZK_RELEASE(...) ZK_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#define ZK_TRY_ACQUIRE(...) ZK_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#define ZK_EXCLUDES(...) ZK_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
#define ZK_ASSERT_CAPABILITY(x) ZK_THREAD_ANNOTATION(assert_capability(x))
#define ZK_RETURN_CAPABILITY(x) ZK_THREAD_ANNOTATION(lock_returned(x))
#define ZK_NO_THREAD_SAFETY_ANALYSIS ZK_THREAD_ANNOTATION(no_thread_safety_analysis)
