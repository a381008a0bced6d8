# Packer (HCL2): bake ssm-reach into an AMI. Put the release's packages in
# ./ssm-reach/ next to this file; install-ssm-reach.sh picks the one that
# fits the source AMI (rpm: Amazon Linux 2023, RHEL; deb: Ubuntu) and CPU.
# Add these provisioners to your own build block.
build {
  sources = ["source.amazon-ebs.base"]

  provisioner "file" {
    source      = "${path.root}/ssm-reach/"
    destination = "/tmp/ssm-reach"
  }

  provisioner "shell" {
    script          = "${path.root}/install-ssm-reach.sh"
    execute_command = "sudo sh -c '{{ .Vars }} {{ .Path }} /tmp/ssm-reach'"
  }

  provisioner "shell" {
    execute_command = "sudo sh -c '{{ .Vars }} {{ .Path }}'"
    inline = [
      "systemctl is-enabled ssm-reach-boot.service",
      "rm -rf /tmp/ssm-reach",
      "rc=0; /usr/bin/ssm-reach --no-auth --timeout 5 || rc=$?; test \"$rc\" -le 1",
    ]
  }
}
