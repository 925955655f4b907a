# CPack: the Debian package `codeloc`, from the install rules of cmake/install.cmake.
# scripts/package.sh configures a build tree with -DCMAKE_INSTALL_PREFIX=/usr and runs
# `cpack -G DEB` in it. The maintainer scripts are in deploy/debian/.

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME codeloc)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "codeloc")
set(CODELOC_PACKAGE_MAINTAINER "codeloc maintainers <maintainers@codeloc.invalid>" CACHE STRING
  "The Maintainer field of the Debian package")
set(CPACK_PACKAGE_CONTACT "${CODELOC_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "supervisor daemon for Dagster code locations")
# The extended description; cpack puts the summary first and indents each line as Debian wants.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
  "codeloc reads Dagster's workspace.yaml unchanged, runs one code server per location, each in
its own interpreter and virtual environment, restarts crashed ones with backoff, reloads a
location when its files change and serves each location's definitions over a Unix-socket
JSON-RPC API. The package ships a hardened systemd unit (codeloc.service, running as the
codeloc user) and an empty /etc/codeloc/workspace.yaml.")
# A Debian package installs under /usr whatever the build tree's CMAKE_INSTALL_PREFIX: cpack
# installs with this prefix (and DESTDIR), so the unit names /usr/bin/codeloc and the workspace
# goes to /etc/codeloc (cmake/install_prefixed.cmake.in). Any configured build tree can package.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The shared libraries the binary links (libcrypto and libc: the C++ ones are linked in, see
# CODELOC_STATIC_CXX) come from dpkg-shlibdeps (dpkg-dev); the rest is what it cannot see: the code
# server runs under a location's Python (3.9 or newer, the system's python3 by default) and the
# postinst makes the codeloc user with adduser; the unit's ExecReload runs /bin/kill (procps).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "python3 (>= 3.9), adduser, procps")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "python3-venv")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
  ${CMAKE_SOURCE_DIR}/deploy/debian/conffiles
  ${CMAKE_SOURCE_DIR}/deploy/debian/postinst
  ${CMAKE_SOURCE_DIR}/deploy/debian/prerm
  ${CMAKE_SOURCE_DIR}/deploy/debian/postrm)

include(CPack)
