module github.com/angioseg/dskd

go 1.23.0

require (
	github.com/rs/zerolog v1.35.1
	github.com/stretchr/testify v1.12.1
	github.com/sugarme/gotch v0.9.1
)

require (
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.29.0 // indirect
)
