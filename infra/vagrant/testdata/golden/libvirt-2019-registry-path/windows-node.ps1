<#
.SYNOPSIS
Provisions a Windows node of the calico-e2e cluster "e2e-libvirt-2019-registry-path" and joins it to the control plane.

.DESCRIPTION
Rendered by github.com/calico-conformance/e2e/infra/vagrant: re-render it rather than edit it.
Vagrant's shell provisioner runs it over WinRM twice, with a reboot in between:

  -Phase network  names the private NIC (found by the MAC the Vagrantfile gave it)
                  "k8s-private" and gives it the node's address, then enables the
                  Containers feature.
  -Phase join     installs containerd, kubelet and kubeadm as sig-windows-tools'
                  Install-Containerd.ps1 and PrepareNode.ps1 do, and runs kubeadm join with the
                  CRI socket npipe:////./pipe/containerd-containerd; kubelet's --node-ip is the private address.

Calico's VXLAN adapter is "k8s-private" (installation.yaml, spec.windowsNodes.vxlanAdapter), so
the HNS network binds to the private NIC and its management IP is the node's InternalIP, never
the NAT NIC's address that every box shares.

Downloads, all made by this VM (never by the suite's host):
  - containerd 1.7.27 from containerd's GitHub releases
  - kubelet.exe and kubeadm.exe v1.34.4 from dl.k8s.io
  - nssm 2.24 (the kubelet service wrapper) from the SIG Windows mirror
Images:
  - every pull from docker.io, registry.k8s.io, mcr.microsoft.com, quay.io, ghcr.io
    goes to WINDOWS_REGISTRY http://registry.lan:5000/e2e (containerd hosts.toml names it as the server, so the
    public registry is never contacted); it must hold the images under their usual paths
    below e2e/ (registry.k8s.io/pause is pulled as registry.lan:5000/e2e/pause)
  - images named after WINDOWS_REGISTRY (registry.lan:5000/e2e/..., the probe pods' agnhost
    and kube-proxy) are pulled from http://registry.lan:5000
Holds the bootstrap token: keep this file out of artifacts.
#>
param(
    [Parameter(Mandatory = $true)] [ValidateSet('network', 'join')] [string] $Phase,
    [Parameter(Mandatory = $true)] [string] $NodeName,
    [Parameter(Mandatory = $true)] [string] $NodeIP,
    [Parameter(Mandatory = $true)] [string] $NodeMAC
)
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'

$PrivateAdapter = 'k8s-private'
$PrefixLength = 24
$KubernetesVersion = '1.34.4'
$ContainerdVersion = '1.7.27'
$PauseImage = 'registry.k8s.io/pause:3.10.1'
$APIEndpoint = '192.168.56.10:6443'
$Token = 'abcdef.0123456789abcdef'
$CACertHash = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'
$CRISocket = 'npipe:////./pipe/containerd-containerd'
$KubeDir = 'C:\k'
$ContainerdDir = Join-Path $env:ProgramFiles 'containerd'
$NssmDir = Join-Path $env:ProgramFiles 'nssm'

function Get-Download([string] $Url, [string] $Path) {
    if (Test-Path $Path) {
        Write-Host "Already downloaded: $Path"
        return
    }
    Write-Host "Downloading $Url to $Path"
    curl.exe --silent --show-error --fail --location --output $Path $Url
    if ($LASTEXITCODE -ne 0) {
        throw "download of $Url failed (curl exit code $LASTEXITCODE)"
    }
}

function Add-MachinePath([string] $Dir) {
    $path = [Environment]::GetEnvironmentVariable('Path', 'Machine')
    if (($path -split ';') -notcontains $Dir) {
        [Environment]::SetEnvironmentVariable('Path', "$path;$Dir", 'Machine')
    }
    if (($env:Path -split ';') -notcontains $Dir) {
        $env:Path = "$env:Path;$Dir"
    }
}

function Set-PrivateNic {
    # Once Calico's HNS network exists, the address lives on its host vNIC: leave both alone.
    if (Get-NetAdapter -Name "vEthernet ($PrivateAdapter)" -ErrorAction SilentlyContinue) {
        Write-Host "HNS already owns $PrivateAdapter"
        return
    }
    $mac = $NodeMAC.Replace(':', '-').ToUpper()
    $nic = Get-NetAdapter | Where-Object { $_.MacAddress -eq $mac }
    if (-not $nic) {
        throw "no network adapter has MAC ${mac}: the private NIC is missing (the Vagrantfile attaches it)"
    }
    if ($nic.Name -ne $PrivateAdapter) {
        Rename-NetAdapter -Name $nic.Name -NewName $PrivateAdapter
    }
    $have = @(Get-NetIPAddress -InterfaceAlias $PrivateAdapter -AddressFamily IPv4 -ErrorAction SilentlyContinue)
    if (@($have | ForEach-Object { $_.IPAddress }) -notcontains $NodeIP) {
        Set-NetIPInterface -InterfaceAlias $PrivateAdapter -Dhcp Disabled
        $have | Remove-NetIPAddress -Confirm:$false
        # No gateway: the internet stays on the NAT NIC, node traffic on this one.
        New-NetIPAddress -InterfaceAlias $PrivateAdapter -IPAddress $NodeIP -PrefixLength $PrefixLength | Out-Null
    }
    Write-Host "private NIC $PrivateAdapter ($mac) has $NodeIP/$PrefixLength"
}

function Enable-Features {
    $features = @('Containers')
    foreach ($f in $features) {
        if ((Get-WindowsFeature -Name $f).Installed) {
            Write-Host "Windows feature $f is installed"
        } else {
            Write-Host "Installing Windows feature $f (the reboot that follows completes it)"
            Install-WindowsFeature -Name $f | Out-Null
        }
    }
}

function Install-Containerd {
    if (Get-Service containerd -ErrorAction SilentlyContinue) {
        Write-Host 'containerd is installed'
    } else {
        New-Item -ItemType Directory -Force -Path $ContainerdDir | Out-Null
        $tgz = Join-Path $ContainerdDir 'containerd.tar.gz'
        Get-Download "https://github.com/containerd/containerd/releases/download/v$ContainerdVersion/containerd-$ContainerdVersion-windows-amd64.tar.gz" $tgz
        tar.exe -xf $tgz --strip-components=1 -C $ContainerdDir
        if ($LASTEXITCODE -ne 0) {
            throw "could not unpack $tgz (tar exit code $LASTEXITCODE)"
        }
        # Install-Containerd.ps1's fix-ups of the default configuration, plus the pinned pause
        # image and the registry hosts directory.
        $config = & (Join-Path $ContainerdDir 'containerd.exe') config default
        $config = $config -replace '^(\s*)bin_dir = .*$', '$1bin_dir = "c:/opt/cni/bin"'
        $config = $config -replace '^(\s*)conf_dir = .*$', '$1conf_dir = "c:/etc/cni/net.d"'
        $config = $config -replace '^(\s*)sandbox_image = .*$', ('$1sandbox_image = "' + $PauseImage + '"')
        $config = $config -replace '^(\s*)config_path = .*$', '$1config_path = "C:/Program Files/containerd/certs.d"'
        Set-Content -Path (Join-Path $ContainerdDir 'config.toml') -Value $config -Encoding Ascii
        New-Item -ItemType Directory -Force -Path 'c:\opt\cni\bin', 'c:\etc\cni\net.d' | Out-Null
        # Every pull from these registries goes to WINDOWS_REGISTRY, and only there.
        # override_path: the URL is the API root as it stands (containerd appends no /v2), so
        # every image is looked up below e2e/.
        $mirror = @(
            'server = "http://registry.lan:5000/v2/e2e"',
            'override_path = true',
            '',
            '[host."http://registry.lan:5000/v2/e2e"]',
            '  capabilities = ["pull", "resolve"]',
            '  override_path = true'
        )
        foreach ($upstream in @('docker.io', 'registry.k8s.io', 'mcr.microsoft.com', 'quay.io', 'ghcr.io')) {
            $dir = Join-Path $ContainerdDir "certs.d\$upstream"
            New-Item -ItemType Directory -Force -Path $dir | Out-Null
            Set-Content -Path (Join-Path $dir 'hosts.toml') -Encoding Ascii -Value $mirror
        }
        # Images named after WINDOWS_REGISTRY (the probe pods' agnhost, kube-proxy) are pulled
        # from it directly, over http.
        $dir = Join-Path $ContainerdDir 'certs.d\registry.lan_5000_'
        New-Item -ItemType Directory -Force -Path $dir | Out-Null
        Set-Content -Path (Join-Path $dir 'hosts.toml') -Encoding Ascii -Value @(
            'server = "http://registry.lan:5000"',
            '',
            '[host."http://registry.lan:5000"]',
            '  capabilities = ["pull", "resolve"]'
        )
        & (Join-Path $ContainerdDir 'containerd.exe') --register-service
        if ($LASTEXITCODE -ne 0) {
            throw "containerd --register-service failed (exit code $LASTEXITCODE)"
        }
    }
    Add-MachinePath $ContainerdDir
    Start-Service containerd
}

function Install-Kubelet {
    foreach ($d in @($KubeDir, 'C:\var\log\kubelet', 'C:\var\lib\kubelet\etc\kubernetes', 'C:\etc\kubernetes\pki', 'C:\etc\kubernetes\manifests')) {
        New-Item -ItemType Directory -Force -Path $d | Out-Null
    }
    if (-not (Test-Path 'C:\var\lib\kubelet\etc\kubernetes\pki')) {
        New-Item -Path 'C:\var\lib\kubelet\etc\kubernetes\pki' -ItemType SymbolicLink -Value 'C:\etc\kubernetes\pki\' | Out-Null
    }
    Get-Download "https://dl.k8s.io/v$KubernetesVersion/bin/windows/amd64/kubelet.exe" (Join-Path $KubeDir 'kubelet.exe')
    Get-Download "https://dl.k8s.io/v$KubernetesVersion/bin/windows/amd64/kubeadm.exe" (Join-Path $KubeDir 'kubeadm.exe')
    Add-MachinePath $KubeDir

    # PrepareNode.ps1's StartKubelet.ps1: kubeadm's flags, then the Windows ones and --node-ip.
    $start = @(
        '$flags = Get-Content -Path "/var/lib/kubelet/kubeadm-flags.env"',
        '$kubeadmArgs = ($flags -replace ''^KUBELET_KUBEADM_ARGS='', '''').Trim(''"'')',
        ('$cmd = "C:\k\kubelet.exe $kubeadmArgs --cert-dir=$env:SYSTEMDRIVE\var\lib\kubelet\pki --config=/var/lib/kubelet/config.yaml --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf --hostname-override=' + $NodeName + ' --node-ip=' + $NodeIP + ' --cgroups-per-qos=false --enforce-node-allocatable=`"`" --resolv-conf=`"`""'),
        'Invoke-Expression $cmd'
    )
    Set-Content -Path (Join-Path $KubeDir 'StartKubelet.ps1') -Value $start -Encoding Ascii

    $nssm = Join-Path $NssmDir 'nssm.exe'
    if (-not (Test-Path $nssm)) {
        New-Item -ItemType Directory -Force -Path $NssmDir | Out-Null
        $zip = Join-Path $env:TEMP 'nssm.zip'
        Get-Download 'https://k8stestinfrabinaries.blob.core.windows.net/nssm-mirror/nssm-2.24.zip' $zip
        tar.exe -C $NssmDir -xf $zip --strip-components 2 '*/win64/*.exe'
        if ($LASTEXITCODE -ne 0) {
            throw "could not unpack $zip (tar exit code $LASTEXITCODE)"
        }
    }
    if (-not (Get-Service kubelet -ErrorAction SilentlyContinue)) {
        $powershell = (Get-Command powershell).Source
        & $nssm install kubelet $powershell '-ExecutionPolicy Bypass -NoProfile' (Join-Path $KubeDir 'StartKubelet.ps1')
        & $nssm set kubelet AppStdout 'C:\var\log\kubelet\kubelet.out.log'
        & $nssm set kubelet AppStderr 'C:\var\log\kubelet\kubelet.err.log'
        & $nssm set kubelet AppRotateFiles 1
        & $nssm set kubelet AppRotateBytes 10485760
        & $nssm set kubelet DependOnService containerd
    }
    if (-not (Get-NetFirewallRule -Name kubelet -ErrorAction SilentlyContinue)) {
        New-NetFirewallRule -Name kubelet -DisplayName 'kubelet' -Enabled True -Direction Inbound -Protocol TCP -Action Allow -LocalPort 10250 | Out-Null
    }
    if (-not (Get-NetFirewallRule -Name OverlayTraffic4789UDP -ErrorAction SilentlyContinue)) {
        New-NetFirewallRule -Name OverlayTraffic4789UDP -DisplayName 'Overlay Traffic 4789 UDP' -Enabled True -Direction Inbound -Protocol UDP -Action Allow -LocalPort 4789 | Out-Null
    }
}

function Join-Cluster {
    if (Test-Path 'C:\etc\kubernetes\kubelet.conf') {
        Write-Host "$NodeName already joined"
        return
    }
    & (Join-Path $KubeDir 'kubeadm.exe') join $APIEndpoint --node-name $NodeName --cri-socket $CRISocket --token $Token --discovery-token-ca-cert-hash $CACertHash
    if ($LASTEXITCODE -ne 0) {
        throw "kubeadm join $APIEndpoint failed (exit code $LASTEXITCODE)"
    }
    Write-Host "$NodeName joined the cluster at $APIEndpoint"
}

switch ($Phase) {
    'network' {
        Set-PrivateNic
        Enable-Features
    }
    'join' {
        Set-PrivateNic
        Install-Containerd
        Install-Kubelet
        Join-Cluster
    }
}
