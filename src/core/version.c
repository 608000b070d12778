/* Build provenance: values baked in by CMake (generated/build_info.h, generated/git_commit.h). */
#include "shearband/version.h"

#include "build_info.h"
#include "git_commit.h"

const char *sb_version(void) { return SB_VERSION_STRING; }
const char *sb_git_commit(void) { return SB_GIT_COMMIT; }
const char *sb_features(void) { return SB_FEATURES; }
const char *sb_build_type(void) { return SB_BUILD_TYPE; }

const char *sb_compiler(void)
{
#if defined(__clang__)
    return "clang " __clang_version__;
#elif defined(__GNUC__)
    return "gcc " __VERSION__;
#else
    return "unknown compiler";
#endif
}
