/*
 * Finding the TLS library to hook: an explicit path, the library a running
 * process has mapped (/proc/PID/maps), or the system's (`ldconfig -p`),
 * and the version string the library (or its libcrypto) carries.
 */
#ifndef EC_LIBFIND_H
#define EC_LIBFIND_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The path of the libssl mapped by process pid, into out. A path only
 * reachable inside the process's mount namespace is returned as
 * /proc/PID/root/PATH. EC_ERR_NOTFOUND if it maps none, EC_ERR_IO if the
 * maps file cannot be read (errno set).
 */
int ec_libfind_maps(pid_t pid, const char *base, char *out, size_t len);

/*
 * The system's libssl from `ldconfig -p`: the first of libssl.so.3,
 * libssl.so.1.1, libssl.so (OpenSSL's, never NSS's libssl3.so).
 * EC_ERR_NOTFOUND when there is none.
 */
int ec_libfind_ldconfig(char *out, size_t len);

/*
 * The library to hook: explicit (checked to exist), else the one pid maps
 * (pid > 0), else ldconfig's. On error, msg says what was tried.
 */
int ec_libfind_ssl(const char *explicit_path, pid_t pid, char *out, size_t len, char *msg,
		   size_t msglen);

#endif
