module github.com/cnbkit/cnbkit/buildpacks/java/helper

go 1.22
