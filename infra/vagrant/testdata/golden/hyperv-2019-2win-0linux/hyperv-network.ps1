<#
.SYNOPSIS
Attaches a VM of the calico-e2e cluster "e2e-hyperv-2019-2win-0linux" to the private network (Hyper-V hosts only).

.DESCRIPTION
Rendered by github.com/calico-conformance/e2e/infra/vagrant. Vagrant runs it on the host after
`vagrant up` of each machine (a trigger in the Vagrantfile), as an administrator: Vagrant cannot
create or configure Hyper-V networks itself. It creates the internal switch once, gives the
host 192.168.56.1/24 on it, and attaches a NIC with the machine's fixed MAC; the
guest's provisioning script finds that NIC by the MAC and gives it the node's address.
#>
param(
    [Parameter(Mandatory = $true)] [string] $VMName,
    [Parameter(Mandatory = $true)] [string] $MAC,
    [Parameter(Mandatory = $true)] [string] $Switch,
    [Parameter(Mandatory = $true)] [string] $HostIP,
    [Parameter(Mandatory = $true)] [int] $PrefixLength
)
$ErrorActionPreference = 'Stop'

if (-not (Get-VMSwitch -Name $Switch -ErrorAction SilentlyContinue)) {
    New-VMSwitch -Name $Switch -SwitchType Internal | Out-Null
}
$alias = "vEthernet ($Switch)"
if (-not (Get-NetIPAddress -InterfaceAlias $alias -IPAddress $HostIP -ErrorAction SilentlyContinue)) {
    New-NetIPAddress -InterfaceAlias $alias -IPAddress $HostIP -PrefixLength $PrefixLength | Out-Null
}
if (Get-VMNetworkAdapter -VMName $VMName | Where-Object { $_.MacAddress -eq $MAC }) {
    Write-Host "$VMName already has its private NIC $MAC"
    return
}
$vm = Get-VM -Name $VMName
if ($vm.Generation -eq 1 -and $vm.State -eq 'Running') {
    # Generation 1 VMs cannot take a NIC while running.
    Stop-VM -Name $VMName
    Add-VMNetworkAdapter -VMName $VMName -SwitchName $Switch -StaticMacAddress $MAC
    Start-VM -Name $VMName
    $deadline = (Get-Date).AddMinutes(10)
    while ((Get-VM -Name $VMName).Heartbeat -notlike 'Ok*') {
        if ((Get-Date) -gt $deadline) {
            throw "$VMName did not come back within 10 minutes after its private NIC was attached"
        }
        Start-Sleep -Seconds 5
    }
} else {
    Add-VMNetworkAdapter -VMName $VMName -SwitchName $Switch -StaticMacAddress $MAC
}
Write-Host "$VMName has its private NIC $MAC on $Switch"
