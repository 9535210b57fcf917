// go_dial: the Go runtime's way of making a TCP connection, for netcorr's runtime stories
// (tests/runtime_story_e2e_test.cc). Go issues raw syscalls from many threads: a non-blocking
// connect whose wait is the netpoller's epoll_pwait in another thread, then getsockopt(SO_ERROR).
//
//	go_dial connect HOST PORT TIMEOUT_MS   net.DialTimeout, then close
//	go_dial request HOST PORT TIMEOUT_MS   dial, write "hello\n", read the answer
//
// Prints one line, "result: ok ..." or "result: CALL ERROR", and exits 1 on failure, like the
// programs in examples/. Stdlib only.
package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
)

func errnoName(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		switch errno {
		case syscall.ECONNREFUSED:
			return "ECONNREFUSED"
		case syscall.ECONNRESET:
			return "ECONNRESET"
		case syscall.ETIMEDOUT:
			return "ETIMEDOUT"
		case syscall.EPIPE:
			return "EPIPE"
		}
		return fmt.Sprintf("errno%d", int(errno))
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout"
	}
	return "error"
}

func fail(call string, err error) {
	fmt.Printf("result: %s %s (%v)\n", call, errnoName(err), err)
	os.Exit(1)
}

func main() {
	if len(os.Args) != 5 || (os.Args[1] != "connect" && os.Args[1] != "request") {
		fmt.Fprintln(os.Stderr, "usage: go_dial connect|request HOST PORT TIMEOUT_MS")
		os.Exit(2)
	}
	ms, err := strconv.Atoi(os.Args[4])
	if err != nil || ms <= 0 {
		fmt.Fprintln(os.Stderr, "go_dial: TIMEOUT_MS must be a positive number")
		os.Exit(2)
	}
	timeout := time.Duration(ms) * time.Millisecond
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(os.Args[2], os.Args[3]), timeout)
	if err != nil {
		fail("connect", err)
	}
	defer conn.Close()
	if os.Args[1] == "connect" {
		fmt.Println("result: ok connected")
		return
	}
	if err := conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		fail("setdeadline", err)
	}
	if _, err := conn.Write([]byte("hello\n")); err != nil {
		fail("send", err)
	}
	buf := make([]byte, 256)
	n, err := conn.Read(buf)
	if err != nil {
		fail("recv", err)
	}
	fmt.Printf("result: ok %q\n", buf[:n])
}
