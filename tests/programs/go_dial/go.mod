module netcorr.test/go_dial

go 1.19
