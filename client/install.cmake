# The installable client package: `cmake --install` gives the public headers (under
# include/zabkeeper, included as "client/zk_client.h"), the static library libzabkeeper_client.a,
# the CMake package (find_package(zabkeeper) -> zabkeeper::client) and zabkeeper.pc.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

# One archive with the client and its codec, built from the objects of zk_client and zk_proto.
add_library(zabkeeper_client STATIC $<TARGET_OBJECTS:zk_client> $<TARGET_OBJECTS:zk_proto>)
add_library(zabkeeper::client ALIAS zabkeeper_client)
set_target_properties(zabkeeper_client PROPERTIES EXPORT_NAME client)
target_include_directories(zabkeeper_client PUBLIC
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/zabkeeper>)
target_link_libraries(zabkeeper_client PUBLIC Threads::Threads OpenSSL::SSL OpenSSL::Crypto)
target_compile_features(zabkeeper_client PUBLIC cxx_std_20)

# The recipes (zabkeeper::recipes), a second archive on top of the client.
add_library(zabkeeper_recipes STATIC $<TARGET_OBJECTS:zk_recipes>)
add_library(zabkeeper::recipes ALIAS zabkeeper_recipes)
set_target_properties(zabkeeper_recipes PROPERTIES EXPORT_NAME recipes)
target_link_libraries(zabkeeper_recipes PUBLIC zabkeeper_client)
# Every recipe header is public (each includes only the client's public headers and its own).
file(GLOB ZK_RECIPE_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/client/recipes/*.h)
install(FILES ${ZK_RECIPE_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/zabkeeper/client/recipes)

# Service discovery (zabkeeper::discovery), a third archive on top of the recipes.
add_library(zabkeeper_discovery STATIC $<TARGET_OBJECTS:zk_discovery>)
add_library(zabkeeper::discovery ALIAS zabkeeper_discovery)
set_target_properties(zabkeeper_discovery PROPERTIES EXPORT_NAME discovery)
target_link_libraries(zabkeeper_discovery PUBLIC zabkeeper_recipes)
file(GLOB ZK_DISCOVERY_HEADERS CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/client/discovery/*.h)
install(FILES ${ZK_DISCOVERY_HEADERS}
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/zabkeeper/client/discovery)

set(ZK_PUBLIC_HEADERS client/zk_client.h client/event_loop.h client/result.h client/retry.h
                      client/watch_stream.h)
set(ZK_PUBLIC_PROTO_HEADERS client/proto/jute.h client/proto/records.h
  client/proto/wire_constants.h)
install(FILES ${ZK_PUBLIC_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/zabkeeper/client)
install(FILES ${ZK_PUBLIC_PROTO_HEADERS}
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/zabkeeper/client/proto)
install(TARGETS zabkeeper_client zabkeeper_recipes zabkeeper_discovery EXPORT zabkeeperTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})

set(ZK_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/zabkeeper)
install(EXPORT zabkeeperTargets NAMESPACE zabkeeper:: DESTINATION ${ZK_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/client/zabkeeperConfig.cmake.in
  ${CMAKE_BINARY_DIR}/zabkeeperConfig.cmake INSTALL_DESTINATION ${ZK_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/zabkeeperConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_BINARY_DIR}/zabkeeperConfig.cmake
  ${CMAKE_BINARY_DIR}/zabkeeperConfigVersion.cmake DESTINATION ${ZK_CMAKE_DIR})

# The .pc file finds its prefix relative to itself, so it works under any `--prefix`.
file(RELATIVE_PATH ZK_PC_TO_PREFIX /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
configure_file(${PROJECT_SOURCE_DIR}/client/zabkeeper.pc.in ${CMAKE_BINARY_DIR}/zabkeeper.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/zabkeeper.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
configure_file(${PROJECT_SOURCE_DIR}/client/zabkeeper-recipes.pc.in
  ${CMAKE_BINARY_DIR}/zabkeeper-recipes.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/zabkeeper-recipes.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
configure_file(${PROJECT_SOURCE_DIR}/client/zabkeeper-discovery.pc.in
  ${CMAKE_BINARY_DIR}/zabkeeper-discovery.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/zabkeeper-discovery.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# Installs into a prefix inside the build dir, then builds client/examples against it, once with
# find_package and once with pkg-config.
add_test(NAME client_install_example
  COMMAND ${CMAKE_COMMAND} -E env CMAKE=${CMAKE_COMMAND}
          ${PROJECT_SOURCE_DIR}/client/examples/check-install.sh
          ${CMAKE_BINARY_DIR} ${CMAKE_BINARY_DIR}/install-test)
set_tests_properties(client_install_example PROPERTIES LABELS client TIMEOUT 300)
